import { addCommands } from '../cli-extensions.js';
import { addUsersCommands } from './commands.js';

/** `dropwork users`: loaded with the dashboard, which the people sign in to. */
addCommands(addUsersCommands);
