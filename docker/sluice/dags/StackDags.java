import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.examples.HelloSluice;
import dev.sluice.examples.Sp500Dags;
import dev.sluice.examples.Sp500StreamDags;
import java.util.ArrayList;
import java.util.List;

/**
 * The compose stack's DAGs, from the mounted dags folder: hello_sluice, the S&P 500 pipeline and its
 * stream of the examples jar in the image (sp500_daily needs the trino connection, sp500_stream the kafka
 * one too, which the stack configures). Put
 * your own DAG files beside this one; the scheduler picks up changes without a restart.
 */
public class StackDags implements DagProvider {
    @Override
    public List<Dag> dags() {
        List<Dag> dags = new ArrayList<>();
        dags.add(HelloSluice.dag());
        dags.addAll(new Sp500Dags().dags());
        dags.addAll(new Sp500StreamDags().dags());
        return dags;
    }
}
