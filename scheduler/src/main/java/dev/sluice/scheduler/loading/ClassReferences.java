package dev.sluice.scheduler.loading;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the names a class file mentions from its constant pool: class references, and the types in
 * field and method descriptors and generic signatures.
 */
final class ClassReferences {
    private static final int MAGIC = 0xCAFEBABE;
    /** A class type inside a descriptor or signature: {@code Lcom/acme/Prices;} or {@code Lcom/acme/Box<}. */
    private static final Pattern TYPE_IN_DESCRIPTOR = Pattern.compile("L([^;<>()\\[\\].:]+)[;<]");

    private ClassReferences() {}

    /**
     * Whether the class file mentions any of the classes, given by internal name ({@code com/acme/Prices}).
     * A class file that cannot be read counts as mentioning them, so that its source is compiled alone.
     */
    static boolean mentionsAny(byte[] classFile, Set<String> internalNames) {
        List<String> constants;
        try {
            constants = utf8Constants(classFile);
        } catch (IOException | RuntimeException e) {
            return true;
        }
        for (String constant : constants) {
            if (internalNames.contains(constant)) {
                return true;
            }
            Matcher matcher = TYPE_IN_DESCRIPTOR.matcher(constant);
            while (matcher.find()) {
                if (internalNames.contains(matcher.group(1))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The CONSTANT_Utf8 entries of the constant pool (JVMS 4.4). */
    static List<String> utf8Constants(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != MAGIC) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        List<String> constants = new ArrayList<>();
        for (int index = 1; index < count; index++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> constants.add(in.readUTF());
                case 7, 8, 16, 19, 20 -> in.skipNBytes(2);
                case 15 -> in.skipNBytes(3);
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                case 5, 6 -> {
                    in.skipNBytes(8);
                    index++;
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        return constants;
    }
}
