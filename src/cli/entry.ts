// The CLI process: bin/signet.js runs the compiled form of this file.
import { main } from './main.js';

await main(process.argv);
