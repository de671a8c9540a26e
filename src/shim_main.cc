#include "exec/shim.h"

int main(int argc, char** argv) { return corral::exec::RunShim(argc, argv); }
