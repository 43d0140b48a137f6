package io.cloudmirror.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FuseArgsTest {

    @Test
    void timeoutsAreTheAdaptersAndTheRestGoesToTheSession() {
        FuseArgs a = FuseArgs.of("-o", "ro,use_ino,fsname=x,attr_timeout=3600,entry_timeout=1.5,negative_timeout=60,"
                + "auto_unmount,max_readahead=1048576", "-d");
        assertEquals(3600, a.attrTimeout());
        assertEquals(1.5, a.entryTimeout());
        assertEquals(60, a.negativeTimeout());
        assertEquals(List.of("-d", "-o", "ro,fsname=x,auto_unmount,max_readahead=1048576"), a.sessionArgs());
        assertEquals(List.of("use_ino"), a.dropped());
    }

    @Test
    void libfuseDefaultsWhenNoTimeoutIsGiven() {
        FuseArgs a = FuseArgs.of("-oro", "-f");
        assertEquals(1, a.attrTimeout());
        assertEquals(1, a.entryTimeout());
        assertEquals(0, a.negativeTimeout());
        assertEquals(List.of("-o", "ro"), a.sessionArgs(), "-oX is -o X; -f means nothing here");
    }

    @Test
    void libfuse2OptionsAreDroppedNotRefused() {
        FuseArgs a = FuseArgs.of("-o", "nonempty,large_read,kernel_cache,readdir_ino,allow_other");
        assertEquals(List.of("-o", "allow_other"), a.sessionArgs());
        assertTrue(a.dropped().containsAll(List.of("nonempty", "large_read", "kernel_cache", "readdir_ino")));
    }

    @Test
    void aBadTimeoutSaysWhich() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FuseArgs.of("-o", "attr_timeout=soon"));
        assertTrue(e.getMessage().contains("attr_timeout=soon"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FuseArgs.of("-o", "entry_timeout=-1"));
    }
}
