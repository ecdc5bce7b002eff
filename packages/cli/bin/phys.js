#!/usr/bin/env node
// The `phys` command. A committed entry so npm links it at install time; the CLI itself is
// built into dist/ by `npm run build`.
import '../dist/bin.js';
