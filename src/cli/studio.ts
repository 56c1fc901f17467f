// The studio's use cases, loaded when a command runs: they bring in the engines, the vision
// runtime, sharp and the library drivers, which `--help`, `brief …` and `prompt` never need.

/** Loads studio/'s use cases (cached by the module system after the first call). */
export const studio = () => import('../studio/index.js');
