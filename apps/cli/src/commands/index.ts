import type { CommandModule } from '../command.js';
import { infoCommand } from './info.js';
import { convertCommand } from './convert.js';
import { augmentCommand } from './augment.js';
import { ingestCommand } from './ingest.js';
import { trainCommand } from './train.js';
import { predictCommand } from './predict.js';
import { evalCommand } from './eval.js';
import { phantomCommand } from './phantom.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { serveCommand } from './serve.js';
import { encodersCommand } from './encoders.js';

// One file per command in this folder; add yours to the list (order = `medseg --help` order).
export const commands: readonly CommandModule[] = [infoCommand, convertCommand, ingestCommand, augmentCommand, encodersCommand, trainCommand, predictCommand, evalCommand, exportCommand, serveCommand, phantomCommand, demoCommand];
