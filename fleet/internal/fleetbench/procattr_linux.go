package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a replica receive SIGKILL if the bench dies first.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
