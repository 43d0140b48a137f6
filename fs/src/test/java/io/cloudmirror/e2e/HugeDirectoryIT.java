package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudmirror.origin.InMemoryOrigin;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory of 200,000 entries lists completely and exactly through the kernel, page after page. */
class HugeDirectoryIT {

    private static final int ENTRIES = 200_000;

    @TempDir
    Path tmp;

    @Test
    void twoHundredThousandEntriesListExactly() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        byte[] empty = new byte[0];
        for (int i = 0; i < ENTRIES; i++) {
            origin.put("big/entry-" + i + ".dat", empty);
        }
        origin.put("other/x", "x");
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", true,
                List.of("-o", "ro,default_permissions,use_ino,readdir_ino,fsname=test/huge,subtype=cloudmirror"))) {
            m.syncer.syncNow();
            Path big = m.mountpoint.resolve("mirrorSubDir/big");
            Sh.Result count = Sh.bash("ls '" + big + "' | wc -l");
            assertEquals(Integer.toString(ENTRIES), count.out().strip(), count.toString());
            Sh.Result unique = Sh.bash("ls -f '" + big + "' | sort | uniq | wc -l");
            assertEquals(Integer.toString(ENTRIES + 2), unique.out().strip(), "every entry once, plus . and ..");
            Sh.Result sample = Sh.bash("ls '" + big + "' | grep -c -E '^entry-(0|199999|123456)\\.dat$'");
            assertEquals("3", sample.out().strip());
            Sh.Result find = Sh.bash("find '" + m.mountpoint + "' -type f | wc -l");
            assertEquals(Integer.toString(ENTRIES + 1), find.out().strip());
            Sh.Result nlink = Sh.bash("stat -c %h '" + big + "'");
            assertEquals("2", nlink.out().strip());
        }
    }
}
