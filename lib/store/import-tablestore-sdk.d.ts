/** The tablestore SDK: bundled by esbuild where it is installed, left to the runtime by webpack and Turbopack. */
export declare function importTablestoreSdk(): Promise<{ default: typeof import('tablestore').default }>;
