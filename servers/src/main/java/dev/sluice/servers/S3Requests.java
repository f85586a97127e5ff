package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * S3 requests to a {@link LocalS3}, signed with AWS Signature Version 4 as any S3 client signs them:
 * create a bucket, put, get and list objects. A few dozen lines of signing spare the {@code servers}
 * module an AWS SDK (some 30 jars) for what it needs: making the bucket that Nessie and Trino write to,
 * and tests that look into it.
 */
public final class S3Requests {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI endpoint;
    private final String region;
    private final String accessKey;
    private final String secretKey;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private S3Requests(URI endpoint, String region, String accessKey, String secretKey) {
        this.endpoint = endpoint;
        this.region = region;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    public static S3Requests of(LocalS3 s3) {
        requireNonNull(s3, "s3 is null");
        return new S3Requests(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey());
    }

    static S3Requests of(URI endpoint, String region, String accessKey, String secretKey) {
        return new S3Requests(endpoint, region, accessKey, secretKey);
    }

    /** Creates the bucket; a bucket that exists already is fine. */
    public void createBucket(String bucket) {
        HttpResponse<byte[]> response = send("PUT", "/" + checkBucket(bucket), Map.of(), new byte[0]);
        // S3 answers 409 BucketAlreadyOwnedByYou to the owner of an existing bucket.
        if (response.statusCode() != 200
                && !(response.statusCode() == 409 && text(response).contains("AlreadyOwned"))) {
            throw failure("cannot create bucket " + bucket, response);
        }
    }

    /** The names of all buckets: what a client that checks its credentials asks first. */
    public List<String> listBuckets() {
        HttpResponse<byte[]> response = send("GET", "/", Map.of(), new byte[0]);
        if (response.statusCode() != 200) {
            throw failure("cannot list the buckets", response);
        }
        return elements(response, "Name");
    }

    public void putObject(String bucket, String key, byte[] content) {
        requireNonNull(content, "content is null");
        HttpResponse<byte[]> response = send("PUT", objectPath(bucket, key), Map.of(), content);
        if (response.statusCode() != 200) {
            throw failure("cannot put s3://" + bucket + "/" + key, response);
        }
    }

    /** The object's content, or empty if there is no such object. */
    public Optional<byte[]> getObject(String bucket, String key) {
        HttpResponse<byte[]> response = send("GET", objectPath(bucket, key), Map.of(), new byte[0]);
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw failure("cannot get s3://" + bucket + "/" + key, response);
        }
        return Optional.of(response.body());
    }

    /** The keys of the bucket's objects that start with the prefix, in S3's order; every page of them. */
    public List<String> listObjects(String bucket, String prefix) {
        requireNonNull(prefix, "prefix is null");
        List<String> keys = new ArrayList<>();
        Optional<String> continuation = Optional.empty();
        do {
            Map<String, String> query = new TreeMap<>(Map.of("list-type", "2", "prefix", prefix));
            continuation.ifPresent(token -> query.put("continuation-token", token));
            HttpResponse<byte[]> response = send("GET", "/" + checkBucket(bucket), query, new byte[0]);
            if (response.statusCode() != 200) {
                throw failure("cannot list s3://" + bucket + "/" + prefix, response);
            }
            keys.addAll(elements(response, "Key"));
            continuation = elements(response, "NextContinuationToken").stream().findFirst();
        } while (continuation.isPresent());
        return List.copyOf(keys);
    }

    /** Sends a signed request; {@code path} starts with {@code /} and is not encoded yet. */
    HttpResponse<byte[]> send(String method, String path, Map<String, String> query, byte[] body) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        String timestamp = TIMESTAMP.format(now);
        String scope = DATE.format(now) + "/" + region + "/s3/aws4_request";
        String payloadHash = hex(sha256(body));
        String host = endpoint.getHost() + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
        String canonicalPath = encodePath(path);
        String canonicalQuery = new TreeMap<>(query)
                .entrySet().stream()
                        .map(entry -> encode(entry.getKey()) + "=" + encode(entry.getValue()))
                        .collect(Collectors.joining("&"));
        String signedHeaders = "host;x-amz-content-sha256;x-amz-date";
        String canonicalRequest = String.join(
                "\n",
                method,
                canonicalPath,
                canonicalQuery,
                "host:" + host,
                "x-amz-content-sha256:" + payloadHash,
                "x-amz-date:" + timestamp,
                "",
                signedHeaders,
                payloadHash);
        String stringToSign = String.join(
                "\n",
                "AWS4-HMAC-SHA256",
                timestamp,
                scope,
                hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8))));
        byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), DATE.format(now));
        key = hmac(key, region);
        key = hmac(key, "s3");
        key = hmac(key, "aws4_request");
        String signature = hex(hmac(key, stringToSign));
        URI uri = URI.create(endpoint.toString().replaceAll("/$", "")
                + canonicalPath
                + (canonicalQuery.isEmpty() ? "" : "?" + canonicalQuery));
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(TIMEOUT)
                .header("x-amz-date", timestamp)
                .header("x-amz-content-sha256", payloadHash)
                .header(
                        "Authorization",
                        "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope + ", SignedHeaders=" + signedHeaders
                                + ", Signature=" + signature)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "S3 request " + method + " " + path + " to " + endpoint + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during S3 request " + method + " " + path, e);
        }
    }

    private static String objectPath(String bucket, String key) {
        requireNonNull(key, "key is null");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("an object key is not empty");
        }
        return "/" + checkBucket(bucket) + "/" + key;
    }

    static String checkBucket(String bucket) {
        requireNonNull(bucket, "bucket is null");
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("not an S3 bucket name: " + bucket);
        }
        return bucket;
    }

    private static IllegalStateException failure(String what, HttpResponse<byte[]> response) {
        // S3's error answers hold a code and a message, never the credentials.
        return new IllegalStateException(what + ": HTTP " + response.statusCode() + " " + text(response));
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static List<String> elements(HttpResponse<byte[]> response, String name) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document document = factory.newDocumentBuilder().parse(new ByteArrayInputStream(response.body()));
            NodeList nodes = document.getElementsByTagName(name);
            List<String> values = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                values.add(nodes.item(i).getTextContent());
            }
            return values;
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalStateException("S3 answered with XML that cannot be read: " + e.getMessage(), e);
        }
    }

    // Signature Version 4 encodes as RFC 3986 does, every byte but the unreserved characters.
    private static String encode(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-_.~".indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return encoded.toString();
    }

    private static String encodePath(String path) {
        return List.of(path.split("/", -1)).stream().map(S3Requests::encode).collect(Collectors.joining("/"));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("this JVM cannot compute HMAC-SHA256", e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
