#include "notebook/launch_script.h"

namespace corral::notebook {

std::string LaunchScript(const std::string& app) {
  // The Host header is the Corral server's (the proxy keeps it for Jupyter's origin checks), so
  // Jupyter must not insist on a local one; it listens on loopback only and wants its token.
  // Jupyter keeps its runtime files (kernel connection files hold keys) under the job's own
  // working directory, private to the account; HOME stays the account's when it can be written.
  std::string script = R"sh(umask 077
rt="$PWD/.corral-notebook"
mkdir -p "$rt"
export JUPYTER_RUNTIME_DIR="$rt/runtime" JUPYTER_CONFIG_DIR="$rt/config" IPYTHONDIR="$rt/ipython"
[ -d "$HOME" ] && [ -w "$HOME" ] || export HOME="$PWD"
if [ -n "$CORRAL_NB_SSH_PORT" ] && [ "$CORRAL_NB_SSH_PORT" != 0 ] && [ -n "$CORRAL_NB_KEYS" ]; then
  printf '%s\n' "$CORRAL_NB_KEYS" > "$rt/authorized_keys"
  rm -f "$rt/host_key" "$rt/host_key.pub"
  ssh-keygen -q -t ed25519 -N '' -f "$rt/host_key" >/dev/null
  /usr/sbin/sshd -D -e -f none -h "$rt/host_key" -p "$CORRAL_NB_SSH_PORT" \
    -o ListenAddress=127.0.0.1 -o AuthorizedKeysFile="$rt/authorized_keys" -o StrictModes=no \
    -o UsePAM=no -o PidFile=none -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
    -o "Subsystem=sftp internal-sftp" -o AllowTcpForwarding=yes \
    -o "SetEnv=CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES PATH=$PATH" 2>>"$rt/sshd.log" &
fi
unset CORRAL_NB_KEYS
)sh";
  if (app == "server") {
    script += R"sh(exec jupyter-server --no-browser --ip=127.0.0.1 --port="$CORRAL_NB_PORT" \
  --ServerApp.port_retries=0 --ServerApp.base_url="/nb/$CORRAL_NB_ID/" \
  --ServerApp.allow_remote_access=True --notebook-dir="$HOME"
)sh";
  } else {
    script +=
        R"sh(exec /usr/bin/python3 -m notebook --no-browser --ip=127.0.0.1 --port="$CORRAL_NB_PORT" \
  --NotebookApp.port_retries=0 --NotebookApp.base_url="/nb/$CORRAL_NB_ID/" \
  --NotebookApp.allow_remote_access=True --notebook-dir="$HOME"
)sh";
  }
  return script;
}

}  // namespace corral::notebook
