import type { CommandModule } from '../command.js';

// One file per command in this folder; add yours to the list (order = `medseg --help` order).
export const commands: readonly CommandModule[] = [];
