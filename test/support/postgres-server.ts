import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * A real PostgreSQL server for recipe tests: PGlite (PostgreSQL compiled to WebAssembly) behind
 * its wire-protocol server on 127.0.0.1, so drivers (`pg`, TypeORM's `postgres`, Prisma's
 * `@prisma/adapter-pg`) connect over TCP as to any PostgreSQL. PGlite accepts any user and
 * password and serves one database; what proves that a secret URL reached a driver is the port,
 * which only that URL names, and the data arriving in `db`.
 */
export class PostgresServer {
  private constructor(
    /** The database itself, for the test's own queries (no socket). */
    readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    /** The port it listens on, on 127.0.0.1. */
    readonly port: number,
  ) {}

  static async start(): Promise<PostgresServer> {
    const db = await PGlite.create();
    // A pool (TypeORM's, the adapter's) may open more than one connection; PGlite queues their queries.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`PGlite listens on ${server.getServerConn()}`);
    return new PostgresServer(db, server, port);
  }

  /** A connection URL for this server (PGlite ignores user, password and database name). */
  url(user: string, password: string, database: string): string {
    return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${database}`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
