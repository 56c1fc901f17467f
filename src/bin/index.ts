// Public face of bin/: the composed `portraitist` program.
export { main } from './main.js';
