// The parts of Bun's and Deno's globals the apps use, so that tsc on Node checks them (neither
// runtime's full types install from npm without pulling the runtime's own toolchain in).
declare const Bun: {
  readonly env: Record<string, string | undefined>;
  serve(options: {
    hostname?: string;
    port?: number;
    /** Seconds a connection may stay silent; 10 by default, 255 at most. */
    idleTimeout?: number;
    fetch(request: Request, server: { requestIP(request: Request): unknown }): Promise<Response>;
  }): unknown;
};

declare const Deno: {
  readonly env: { get(name: string): string | undefined };
  serve(
    options: { hostname?: string; port?: number },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname: string; port: number } },
    ) => Promise<Response>,
  ): unknown;
};

/** A Worker's bindings, importable at global scope (workerd, wrangler). */
declare module 'cloudflare:workers' {
  export const env: Record<string, string | undefined>;
}
