#include "gpu/inventory.h"
