import { type FileHandle, open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/** Makes a rename or file creation itself durable: the directory entry is flushed too. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Writes `data` to `path` atomically and durably: temp file, fdatasync, rename, directory sync. */
export async function writeDurably(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** An append-only file whose appends are durable when `append` resolves. */
export class AppendLog {
  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<AppendLog> {
    const handle = await open(path, "a");
    return new AppendLog(handle, path);
  }

  async append(text: string): Promise<void> {
    await this.handle.appendFile(text);
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
