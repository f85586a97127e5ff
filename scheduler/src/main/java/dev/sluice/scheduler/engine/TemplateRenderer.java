package dev.sluice.scheduler.engine;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders Jinja templates as Airflow and dbt users write them. An unknown variable is an error
 * rather than an empty string, so that a typo in a SQL template fails loudly. Thread-safe.
 */
public final class TemplateRenderer {
    private final Jinjava jinjava =
            new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(true).build());

    public String render(String template, Map<String, Object> variables) {
        if (!template.contains("{{") && !template.contains("{%")) {
            return template;
        }
        RenderResult result = jinjava.renderForResult(template, variables);
        if (result.hasErrors()) {
            String problems = result.getErrors().stream()
                    .filter(error -> error.getSeverity() == TemplateError.ErrorType.FATAL)
                    .map(error ->
                            error.getMessage() + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""))
                    .collect(Collectors.joining("; "));
            if (!problems.isEmpty()) {
                throw new TaskFailedException(ErrorCategory.USER_ERROR, "template does not render: " + problems);
            }
        }
        return result.getOutput();
    }
}
