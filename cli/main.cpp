// backup-bench: what happens when you back up a live SQLite database.
#include "cli/commands.h"

int main(int argc, char** argv) { return bb::run_cli(argc, argv); }
