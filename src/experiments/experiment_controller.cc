// Placeholder until the experiment controller lands.
