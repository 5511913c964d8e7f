module github.com/sshstack/sshstack/connection

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/sshstack/sshstack/wire v0.0.0
	go.uber.org/goleak v1.3.0
)

replace github.com/sshstack/sshstack/wire => ../wire
