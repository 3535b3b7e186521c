#!/usr/bin/env node
// compat-table.mjs — prints the compatibility table of docs/API.md (the original's routes and
// where da stands) from tests/e2e/lib/original_routes.mjs, the list the route-table test
// checks against a real server. Paste its output over the table in docs/API.md.
import { compatTable } from '../tests/e2e/lib/original_routes.mjs';

console.log(compatTable());
