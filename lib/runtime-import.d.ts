/**
 * import() of a module resolved by the runtime when it runs, from where this package is installed:
 * an optional peer (a store's driver or SDK, the simulator's parsers) or a runtime's own module
 * (bun:sqlite). No bundler follows it. Hand-written JavaScript beside this file (runtime-import.js).
 */
export declare function importAtRunTime<T = unknown>(specifier: string): Promise<T>;
