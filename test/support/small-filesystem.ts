import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small file system of its own (tmpfs), which a test can fill or remount read-only: a disk that is
 * really full, a mount that is really read-only, as a server meets them. Mounting needs root
 * (CAP_SYS_ADMIN), as in CI; `canMount` says whether this process may.
 */
export interface SmallFilesystem {
  dir: string;
  readOnly(): void;
  writable(): void;
  unmount(): void;
}

const mount = (...args: string[]) => execFileSync('mount', args, { stdio: 'pipe' });

export function mountSmallFilesystem(sizeBytes: number): SmallFilesystem {
  const dir = mkdtempSync(join(tmpdir(), 'oss-callback-fs-'));
  mount('-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir);
  return {
    dir,
    readOnly: () => mount('-o', 'remount,ro', dir),
    writable: () => mount('-o', 'remount,rw', dir),
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmdirSync(dir);
    },
  };
}

let mountable: boolean | undefined;

/** Whether this process can mount (tried once). */
export function canMount(): boolean {
  if (mountable === undefined) {
    try {
      mountSmallFilesystem(64 * 1024).unmount();
      mountable = true;
    } catch {
      mountable = false;
    }
  }
  return mountable;
}
