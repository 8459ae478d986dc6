#!/usr/bin/env node
import '../dist/sim/cli/ferry-sim.js';
