package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
	"github.com/shop-platform/shop/src/tools/proc"
)

// rabbit is a RabbitMQ broker for one run: a vhost of its own on the
// machine's shared broker (soak), or a private node on its own ports that
// the drill may stop and start without disturbing anyone.
type rabbit struct {
	url   string
	vhost string
	// ctl runs rabbitmqctl against the broker; env is its environment.
	ctl []string
	env []string
	// Set for a private node only.
	dir     string
	node    string
	server  string
	running *proc.Process
}

func (r *rabbit) rabbitmqctl(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.ctl[0], slices.Concat(r.ctl[1:], args)...)
	cmd.Env, cmd.Dir = r.env, r.dir
	return proc.Output(cmd)
}

// sharedRabbit makes a vhost on the machine's broker for the run, so its
// exchange, queues and connections are apart from everyone else's.
func sharedRabbit(ctx context.Context, vhost string) (*rabbit, error) {
	r := &rabbit{vhost: vhost, ctl: []string{"rabbitmqctl", "-q"}, env: os.Environ(),
		url: "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(vhost)}
	if _, err := r.rabbitmqctl(ctx, "add_vhost", vhost); err != nil {
		return nil, err
	}
	if _, err := r.rabbitmqctl(ctx, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"); err != nil {
		return nil, errors.Join(err, r.destroy(ctx))
	}
	return r, nil
}

// startPrivateRabbit starts a RabbitMQ node of the drill's own under dir:
// its own node name, AMQP and distribution ports, database and cookie,
// no plugins.
func startPrivateRabbit(ctx context.Context, dir, name string) (*rabbit, error) {
	server := "/usr/lib/rabbitmq/bin/rabbitmq-server"
	ctl := "/usr/lib/rabbitmq/bin/rabbitmqctl"
	if _, err := os.Stat(server); err != nil {
		return nil, fmt.Errorf("a private RabbitMQ node needs %s (Debian package rabbitmq-server): %w", server, err)
	}
	rdir := filepath.Join(dir, "rabbitmq")
	if err := os.MkdirAll(rdir, 0o700); err != nil {
		return nil, err
	}
	port, err := testenv.FreeLoopbackPort(ctx)
	if err != nil {
		return nil, err
	}
	dist, err := testenv.FreeLoopbackPort(ctx)
	if err != nil {
		return nil, err
	}
	files := map[string]string{
		"rabbitmq.conf":   fmt.Sprintf("listeners.tcp.default = 127.0.0.1:%d\n", port),
		"enabled_plugins": "[].\n",
		"env.conf":        "",
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(rdir, f), []byte(body), 0o600); err != nil {
			return nil, err
		}
	}
	node := name + "@localhost"
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + rdir, "LANG=C.UTF-8",
		"RABBITMQ_NODENAME=" + node, "RABBITMQ_NODE_PORT=" + strconv.Itoa(port), "RABBITMQ_DIST_PORT=" + strconv.Itoa(dist),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(rdir, "mnesia"), "RABBITMQ_LOG_BASE=" + filepath.Join(rdir, "log"),
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(rdir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(rdir, "enabled_plugins"),
		"RABBITMQ_CONF_ENV_FILE=" + filepath.Join(rdir, "env.conf"),
		"ERL_EPMD_ADDRESS=127.0.0.1"}
	r := &rabbit{url: fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", port), vhost: "/",
		ctl: []string{ctl, "-q", "-n", node}, env: env, dir: rdir, node: node, server: server}
	return r, r.start(ctx)
}

// start runs the private node and waits until it accepts work.
func (r *rabbit) start(ctx context.Context) error {
	if r.server == "" {
		return errors.New("refusing to start or stop the shared broker: the drill stops only its own")
	}
	cmd := exec.Command(r.server)
	cmd.Env, cmd.Dir = r.env, r.dir
	// A node asked to stop has a minute to exit before it is killed.
	p, err := proc.StartLogged(cmd, filepath.Join(r.dir, "server.log"), time.Minute)
	if err != nil {
		return err
	}
	r.running = p
	// The node registers with epmd a moment after it starts; until then
	// await_startup fails at once, so it is asked again.
	err = p.Await(ctx, 2*time.Minute, time.Second, func(ctx context.Context) error {
		_, err := r.rabbitmqctl(ctx, "await_startup", "--timeout", "30")
		return err
	})
	if err != nil {
		_ = cmd.Process.Kill()
		<-p.Exited()
		return fmt.Errorf("the private RabbitMQ node did not start (see %s): %w", filepath.Join(r.dir, "server.log"), err)
	}
	return nil
}

// stop halts the private node and waits for its process to end.
func (r *rabbit) stop(ctx context.Context) error {
	if r.server == "" {
		return errors.New("refusing to stop the shared broker: the drill stops only its own")
	}
	if _, err := r.rabbitmqctl(ctx, "stop"); err != nil {
		return err
	}
	return r.running.Wait()
}

// closeConnections closes the run's client connections (those in its
// vhost), as a network blip or a broker failover would, and returns how
// many there were.
func (r *rabbit) closeConnections(ctx context.Context) (int, error) {
	out, err := r.rabbitmqctl(ctx, "-s", "list_connections", "vhost")
	if err != nil {
		return 0, err
	}
	n := 0
	for line := range strings.SplitSeq(out, "\n") {
		if strings.TrimSpace(line) == r.vhost {
			n++
		}
	}
	if n > 0 {
		_, err = r.rabbitmqctl(ctx, "close_all_connections", "--vhost", r.vhost, "--limit", "10000", "make drill closes the shop's connections")
	}
	return n, err
}

// destroy removes the run's vhost on the shared broker, or stops the
// private node.
func (r *rabbit) destroy(ctx context.Context) error {
	if r.server != "" {
		select {
		case <-r.running.Exited():
			return nil
		default:
			return r.stop(ctx)
		}
	}
	_, err := r.rabbitmqctl(ctx, "delete_vhost", r.vhost)
	return err
}
