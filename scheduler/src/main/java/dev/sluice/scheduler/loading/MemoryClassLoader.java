package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The class loader of one DAG file: its compiled classes, or the entries of its jar, held in memory.
 * Nothing is read from disk after loading, so the file may change or go away while DAGs it defined
 * still run, and once nothing refers to the DAGs any more the loader and its classes are collected.
 * Delegates to its parent first, so DAG code shares the {@code dev.sluice.dag} types with the engine.
 */
final class MemoryClassLoader extends ClassLoader {
    private static final String SCHEME = "sluice-dag";

    static {
        registerAsParallelCapable();
    }

    private final Map<String, byte[]> resources;
    private final URLStreamHandler handler = new ResourceHandler();

    /**
     * @param resources entries by path, classes included ({@code com/acme/Prices.class})
     */
    MemoryClassLoader(String name, Map<String, byte[]> resources, ClassLoader parent) {
        super(requireNonNull(name, "name is null"), parent);
        this.resources = Map.copyOf(requireNonNull(resources, "resources is null"));
    }

    /** The names of the classes this loader defines, in binary form ({@code com.acme.Prices$1}). */
    Set<String> classNames() {
        return resources.keySet().stream()
                .filter(path -> path.endsWith(".class") && !path.endsWith("module-info.class"))
                .map(path ->
                        path.substring(0, path.length() - ".class".length()).replace('/', '.'))
                .collect(Collectors.toUnmodifiableSet());
    }

    Optional<byte[]> resource(String path) {
        return Optional.ofNullable(resources.get(path));
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = resources.get(name.replace('.', '/') + ".class");
        if (bytes == null) {
            throw new ClassNotFoundException(name);
        }
        return defineClass(name, bytes, 0, bytes.length);
    }

    @Override
    protected URL findResource(String name) {
        if (!resources.containsKey(name)) {
            return null;
        }
        try {
            return URL.of(new URI(SCHEME, null, "/" + name, null), handler);
        } catch (URISyntaxException | MalformedURLException e) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.emptyEnumeration() : Collections.enumeration(List.of(url));
    }

    private final class ResourceHandler extends URLStreamHandler {
        @Override
        protected URLConnection openConnection(URL url) throws IOException {
            byte[] bytes;
            try {
                bytes = resources.get(url.toURI().getPath().substring(1));
            } catch (URISyntaxException e) {
                throw new IOException("malformed DAG resource URL " + url, e);
            }
            if (bytes == null) {
                throw new FileNotFoundException(url.toString());
            }
            return new URLConnection(url) {
                @Override
                public void connect() {}

                @Override
                public InputStream getInputStream() {
                    return new ByteArrayInputStream(bytes);
                }

                @Override
                public long getContentLengthLong() {
                    return bytes.length;
                }
            };
        }
    }
}
