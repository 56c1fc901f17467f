// The engine flags shared by `generate` and `direct` (their values are checked by studio's
// engine settings, which also read the config file and the environment).
import type { Command } from 'commander';
import { targetIds } from '../brief/index.js';
import { engineIds } from '../studio/light.js';

/** Adds the engine flags to a command. */
export function addEngineOptions(command: Command): Command {
  return command
    .option('--engine <engine>', `engine: ${engineIds.join(', ')} (default local, or from config)`)
    .option('--url <url>', 'engine server URL (ComfyUI, A1111/Forge; OpenAI base URL)')
    .option('--template <workflow.json>', 'ComfyUI: an API-format workflow with {{…}} placeholders')
    .option('--checkpoint <name>', 'ComfyUI/A1111: checkpoint as the server lists it')
    .option('--model <name>', 'OpenAI: image model (default from the compiled prompt)')
    .option('--target <family>', `model family to compile for: ${targetIds.join(', ')}`)
    .option('--config <file>', 'engine settings file (default ./portraitist.config.yaml|json)');
}
