package fleet_test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the worker process receive SIGKILL if the test
// process dies first (a panic or a timeout skips the test's cleanups).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
