package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {

    @Test
    void optionsMountFuseAddsAreHandled() {
        // What mount(8) + mount.fuse3 pass for `mount -t fuse.cloudmirror SRC MNT -o allow_other` as root.
        MountOptions o = MountOptions.parse(List.of("rw,allow_other,dev,suid"), 0, 0);
        assertEquals(List.of("allow_other", "dev", "suid"), o.fuse());
        assertTrue(o.allowOther());
        assertTrue(o.ignored().get(0).startsWith("rw"), o.ignored().toString());
    }

    @Test
    void genericOptionsOfMountFstabAndSystemdAreNeverFatal() {
        MountOptions o = MountOptions.parse(List.of("ro,allow_other,_netdev,nofail,nodev,nosuid",
                "defaults,auto,noauto,user,users,nouser,user=alice,owner,group,noexec,exec,noatime,relatime",
                "x-systemd.automount,x-systemd.requires=network-online.target,comment=cloudmirror"), 1000, 1000);
        assertTrue(o.fuse().containsAll(List.of("allow_other", "nodev", "nosuid", "noexec", "exec", "noatime")));
        assertTrue(o.ignored().containsAll(List.of("ro", "_netdev", "nofail", "user", "user=alice",
                "x-systemd.automount", "comment=cloudmirror")), o.ignored().toString());
    }

    @Test
    void unknownOptionIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse(List.of("allow_other,allow_othre"), 0, 0));
        assertTrue(e.getMessage().contains("\"allow_othre\""), e.getMessage());
    }

    @Test
    void libfuseGetsAutoUnmountFsnameAndSubtype() {
        List<String> args = MountOptions.parse(List.of("allow_other"), 0, 0).fuseArguments("acct/media");
        assertEquals("-o", args.get(0));
        List<String> opts = List.of(args.get(1).split(","));
        assertTrue(opts.containsAll(List.of("ro", "auto_unmount", "fsname=acct/media", "subtype=cloudmirror",
                "allow_other")), opts.toString());
    }
}
