export const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Random text drawn from `random` (a seeded generator, so that a run can be repeated). */
export function textPicker(random: () => number): (alphabet: string, length: number) => string {
  return (alphabet, length) => {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
}
