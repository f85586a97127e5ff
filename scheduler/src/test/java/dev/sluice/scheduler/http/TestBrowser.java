package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium through chromedriver, as the browser tests and the UI benchmark drive it:
 * Debian's packages {@code chromium} and {@code chromium-driver}, or other places given by the
 * system properties {@code sluice.ui.chromium} and {@code sluice.ui.chromedriver} (no tool may
 * download a browser here).
 */
public final class TestBrowser implements AutoCloseable {
    private static final Path CHROMIUM = Path.of(System.getProperty("sluice.ui.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER =
            Path.of(System.getProperty("sluice.ui.chromedriver", "/usr/bin/chromedriver"));
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ChromeDriver driver;

    private TestBrowser(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Why no browser can be started here, if it cannot. */
    public static Optional<String> missing() {
        if (!Files.isExecutable(CHROMIUM)) {
            return Optional.of("the browser needs Chromium at " + CHROMIUM
                    + " (apt-get install chromium, or -Dsluice.ui.chromium)");
        }
        if (!Files.isExecutable(CHROMEDRIVER)) {
            return Optional.of("the browser needs chromedriver at " + CHROMEDRIVER
                    + " (apt-get install chromium-driver, or -Dsluice.ui.chromedriver)");
        }
        return Optional.empty();
    }

    public static TestBrowser start() {
        return start(options -> {});
    }

    /** Starts a browser; {@code customize} may add options, such as which logs to keep. */
    public static TestBrowser start(Consumer<ChromeOptions> customize) {
        missing().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                // As root in a container Chromium has no sandbox to use; /dev/shm may be small there.
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900");
        customize.accept(options);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new TestBrowser(new ChromeDriver(service, options));
    }

    public ChromeDriver driver() {
        return driver;
    }

    public WebElement waitFor(By locator) {
        return new WebDriverWait(driver, WAIT).until(page -> page.findElement(locator));
    }

    /**
     * Waits for the condition; when it does not come, the failure shows what the page said and
     * what {@code context} adds (such as what the server has).
     */
    public void waitUntil(BooleanSupplier condition, Supplier<String> context) {
        requireNonNull(condition, "condition is null");
        try {
            new WebDriverWait(driver, WAIT)
                    .ignoring(StaleElementReferenceException.class)
                    .until(page -> condition.getAsBoolean());
        } catch (TimeoutException e) {
            throw new AssertionError(
                    "the page did not come to the expected state; it shows:\n"
                            + driver.findElement(By.tagName("body")).getText() + "\n" + context.get(),
                    e);
        }
    }

    /** With {@code -Dsluice.ui.screenshots=FOLDER}, saves a PNG of the page there as {@code name.png}. */
    public void screenshot(String name) throws IOException {
        String folder = System.getProperty("sluice.ui.screenshots", "");
        if (folder.isBlank()) {
            return;
        }
        Path directory = Path.of(folder);
        Files.createDirectories(directory);
        Files.write(directory.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        driver.quit();
    }
}
