import { addCommands } from '../cli-extensions.js';
import { addApprovalCommands } from './commands.js';

/** `jobs approve` and `jobs deny`; loaded with the dashboard, which offers the same decisions. */
addCommands(addApprovalCommands);
