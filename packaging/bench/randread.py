#!/usr/bin/env python3
"""Random reads for the benchmark: COUNT preads of BLOCK bytes at block-aligned offsets of FILE, drawn from
a fixed seed (the same offsets for every target), one after another. Prints "reads bytes".

  randread.py FILE COUNT [BLOCK] [SEED]
"""
import os
import random
import sys


def main(argv):
    path, count = argv[0], int(argv[1])
    block = int(argv[2]) if len(argv) > 2 else 4096
    seed = int(argv[3]) if len(argv) > 3 else 4242
    fd = os.open(path, os.O_RDONLY)
    try:
        blocks = os.fstat(fd).st_size // block
        if blocks < 1:
            sys.exit(f"randread.py: {path} is smaller than one block of {block} bytes")
        rng = random.Random(seed)
        total = 0
        for _ in range(count):
            data = os.pread(fd, block, rng.randrange(blocks) * block)
            if len(data) != block:
                sys.exit(f"randread.py: short read of {len(data)} bytes")
            total += len(data)
    finally:
        os.close(fd)
    print(count, total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
