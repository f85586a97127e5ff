package dev.sluice.scheduler.loading;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagDefinitionException;
import dev.sluice.dag.DagProvider;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the code of one loaded DAG file to get its DAGs: instantiates its {@link DagProvider} classes
 * and calls {@link DagProvider#dags()}, on a thread of its own with the file's class loader as
 * context class loader, and gives up after a timeout so that a DAG file that hangs cannot stall
 * loading. Every failure becomes a {@link DagLoadError} of the file. A thread that ignores its
 * interrupt after the timeout keeps running until it returns: only ending its process stops it, which
 * is why the service runs this in a DAG processor process ({@link DagProcessor}).
 */
final class DagDefinitions {
    private static final Logger log = LoggerFactory.getLogger(DagDefinitions.class);

    /** How long timed-out DAG code has to stop once interrupted before it counts as running on. */
    private static final Duration INTERRUPT_GRACE = Duration.ofSeconds(1);

    private DagDefinitions() {}

    sealed interface Outcome {
        record Defined(List<Dag> dags) implements Outcome {
            public Defined {
                dags = List.copyOf(dags);
            }
        }

        /**
         * @param spoilsProcess the code left this process unfit to load more: it timed out and its
         *     thread ignored the interrupt, so it runs on, or it exhausted the memory
         */
        record Failed(DagLoadError error, boolean spoilsProcess) implements Outcome {}
    }

    /** A broken contract, as opposed to an exception thrown by the DAG code. */
    private static final class ContractException extends Exception {
        ContractException(String message) {
            super(message);
        }
    }

    static Outcome define(DagFile file, MemoryClassLoader loader, List<String> providerClasses, Duration timeout) {
        FutureTask<List<Dag>> task = new FutureTask<>(() -> instantiate(file, loader, providerClasses));
        // A platform thread, and a daemon: DAG code that never yields then holds one of the operating system's
        // threads, not a core of the virtual-thread scheduler that the API's handlers need, and
        // it does not keep the JVM from exiting.
        Thread thread = Thread.ofPlatform().daemon().name(threadName(file)).unstarted(task);
        thread.setContextClassLoader(loader);
        thread.start();
        try {
            return new Outcome.Defined(task.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            task.cancel(true);
            boolean stillRunning = !stopsWithin(thread, INTERRUPT_GRACE);
            log.warn(
                    "DAG file {} did not declare its DAGs within {}; its thread was interrupted{}",
                    file.location(),
                    describe(timeout),
                    stillRunning ? " and runs on" : " and stopped");
            return new Outcome.Failed(
                    new DagLoadError(
                            file.location(),
                            OptionalInt.empty(),
                            "the DAG code did not return within " + describe(timeout)
                                    + ": a DAG file must only declare DAGs; do slow work in tasks"),
                    stillRunning);
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            return failed(file, OptionalInt.empty(), "loading was interrupted");
        } catch (ExecutionException e) {
            return failure(file, loader, e.getCause());
        }
    }

    /** The name of the thread that runs a file's code. */
    static String threadName(DagFile file) {
        return "dag-definition " + file.location();
    }

    private static boolean stopsWithin(Thread thread, Duration grace) {
        try {
            return thread.join(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !thread.isAlive();
        }
    }

    private static List<Dag> instantiate(DagFile file, ClassLoader loader, List<String> providerClasses)
            throws Exception {
        List<Dag> dags = new ArrayList<>();
        for (String className : providerClasses) {
            Class<?> type;
            try {
                type = Class.forName(className, true, loader);
            } catch (ClassNotFoundException e) {
                throw new ContractException(
                        "class " + className + " is named as a DAG provider but not found in " + file.path());
            }
            if (!DagProvider.class.isAssignableFrom(type)) {
                throw new ContractException(
                        "class " + className + " does not implement " + DagProvider.class.getName());
            }
            if (!Modifier.isPublic(type.getModifiers()) || Modifier.isAbstract(type.getModifiers())) {
                throw new ContractException("class " + className + " must be public and not abstract");
            }
            Constructor<?> constructor;
            try {
                constructor = type.getConstructor();
            } catch (NoSuchMethodException e) {
                throw new ContractException("class " + className + " needs a public constructor without parameters");
            }
            List<Dag> declared = ((DagProvider) constructor.newInstance()).dags();
            if (declared == null) {
                throw new ContractException(className + ".dags() returned null: return a list of DAGs, empty for none");
            }
            for (Dag dag : declared) {
                if (dag == null) {
                    throw new ContractException(className + ".dags() returned a list holding null");
                }
                dags.add(dag);
            }
        }
        Set<String> ids = new HashSet<>();
        for (Dag dag : dags) {
            if (!ids.add(dag.id())) {
                throw new ContractException("DAG id '" + dag.id() + "' is declared twice in " + file.path());
            }
        }
        return dags;
    }

    private static Outcome failure(DagFile file, MemoryClassLoader loader, Throwable thrown) {
        Throwable cause = unwrap(thrown);
        if (cause instanceof ContractException) {
            return failed(file, OptionalInt.empty(), cause.getMessage());
        }
        boolean spoils = cause instanceof VirtualMachineError;
        Set<String> ownClasses = loader.classNames();
        StackTraceElement frame = null;
        for (StackTraceElement element : cause.getStackTrace()) {
            if (ownClasses.contains(element.getClassName())) {
                frame = element;
                break;
            }
        }
        String message = cause instanceof DagDefinitionException ? cause.getMessage() : "the DAG code threw " + cause;
        if (frame == null || frame.getLineNumber() <= 0) {
            return failed(file, OptionalInt.empty(), message, spoils);
        }
        if (file.isJar()) {
            return failed(file, OptionalInt.empty(), message + " (at " + frame + ")", spoils);
        }
        return failed(file, OptionalInt.of(frame.getLineNumber()), message, spoils);
    }

    private static Throwable unwrap(Throwable thrown) {
        Throwable cause = thrown;
        while ((cause instanceof InvocationTargetException || cause instanceof ExceptionInInitializerError)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static Outcome failed(DagFile file, OptionalInt line, String message) {
        return failed(file, line, message, false);
    }

    private static Outcome failed(DagFile file, OptionalInt line, String message, boolean spoilsProcess) {
        return new Outcome.Failed(new DagLoadError(file.location(), line, message), spoilsProcess);
    }

    static String describe(Duration duration) {
        if (duration.toMillis() % 1000 == 0) {
            return duration.toSeconds() + " s";
        }
        return duration.toMillis() + " ms";
    }
}
