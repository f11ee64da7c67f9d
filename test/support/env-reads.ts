/** The names a loader reads from the environment it is given, whatever it makes of them. */
export function reads(load: (env: NodeJS.ProcessEnv) => unknown, values: Record<string, string>): Set<string> {
  const names = new Set<string>();
  const env = new Proxy(
    { ...values },
    {
      get(target, name) {
        if (typeof name === 'string') names.add(name);
        return Reflect.get(target, name) as unknown;
      },
    },
  );
  try {
    load(env);
  } catch {
    // A refusal still shows what was read on the way.
  }
  return names;
}

/** What a loader makes of `env`: its value, or the message it refuses with. */
export function outcome(load: (env: NodeJS.ProcessEnv) => unknown, env: Record<string, string>): unknown {
  try {
    return { value: load(env) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
