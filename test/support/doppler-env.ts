const KEYS = ['DOPPLER_TOKEN', 'DOPPLER_API_URL', 'DOPPLER_PROJECT', 'DOPPLER_CONFIG'] as const;

/** Sets the sample app's Doppler variables for one test and returns a function that restores them. */
export function useDopplerEnv(values: Partial<Record<(typeof KEYS)[number], string>>): () => void {
  const saved = new Map(KEYS.map((k) => [k, process.env[k]]));
  for (const key of KEYS) {
    const value = values[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
