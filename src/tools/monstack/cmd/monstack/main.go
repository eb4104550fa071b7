// Command monstack installs or uninstalls the monitoring stack in the cluster
// KUBECONFIG names (make monitoring-stack, make monitoring-stack-uninstall):
// kube-prometheus-stack with the values of src/tools/monstack/values, the
// same install the checks' InstallStack does.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/shop-platform/shop/src/internal/platform/service"
	"github.com/shop-platform/shop/src/tools/monstack"
)

func main() { service.Main("monstack", run) }

func run(ctx context.Context, _ map[string]string) error {
	log.SetFlags(0)
	args := os.Args[1:]
	if len(args) != 1 {
		return errors.New("usage: monstack install|uninstall (SHOP_HELM3, SHOP_KPS_CHART and KUBECONFIG from the environment)")
	}
	cfg, err := monstack.ConfigFromEnv()
	if err != nil {
		return err
	}
	switch args[0] {
	case "install":
		s, _, err := monstack.Install(ctx, cfg, log.Printf)
		if err != nil {
			return err
		}
		log.Printf("Prometheus: %s  Alertmanager: %s", s.PrometheusURL, s.AlertmanagerURL)
		return nil
	case "uninstall":
		return monstack.Uninstall(ctx, cfg)
	}
	return fmt.Errorf("unknown command %q: want install or uninstall", args[0])
}
