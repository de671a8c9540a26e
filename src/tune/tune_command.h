#pragma once

namespace corral::tune {
// `corral tune-protocol`: an ask/tell line protocol over stdin/stdout (JSON lines) that exposes
// the search library to other languages (the benchmark driver). argv[0] is "tune-protocol".
// Requests (one JSON object per line; "id" names a study, default ""):
//   {"op":"create","study":{space, sampler, pruner, direction, seed}}
//   {"op":"ask","n":3}                       ->
//   {"trials":[{"trial":0,"params":{...}}],"exhausted":false}
//   {"op":"tell","trial":0,"value":1.5}       or "state":"failed"|"pruned" instead of a value
//   {"op":"report","trial":0,"step":3,"value":0.7} -> {"should_prune":false}
//   {"op":"enqueue","params":{...}}           -> {"trial":n}
//   {"op":"best"}                             -> {"trial":n,"value":v,"params":{...}} or
//   "trial":null
//   {"op":"dump"}                             -> {"state":{...}}
//   {"op":"load","state":{...}}
// Every reply has "ok"; failures carry {"error":{"code","message","field"}}; successful replies
// carry "us": the time the library call took, in microseconds (thread CPU time as "cpu_us").
int RunTuneProtocol(int argc, char** argv);
}  // namespace corral::tune
