//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
)

// testLivePods checks every pod from inside (the images have no shell, so
// the probe reports): uid and gid 65532, the root filesystem read-only
// while /tmp and /logs_and_metrics are writable and the service's log file
// is written there; Ready with no restart (liveness and readiness pass).
// And each service's migrations, run at once by its replicas on an empty
// database, were recorded once each (the advisory lock).
func testLivePods(t *testing.T, s *suite) {
	s.installed(t)
	for _, svc := range services {
		for _, pod := range s.podsOf(t, svc) {
			out, err := s.exec(t, pod.Name, "/probe", "self", "-writable=/tmp,/logs_and_metrics", "-files=/logs_and_metrics/"+svc+".log")
			var self struct {
				UID          int  `json:"uid"`
				GID          int  `json:"gid"`
				RootReadOnly bool `json:"root_read_only"`
			}
			if err != nil || json.Unmarshal([]byte(out), &self) != nil {
				t.Fatalf("%s: probe self: %v: %s", pod.Name, err, out)
			}
			if self.UID != 65532 || self.GID != 65532 || !self.RootReadOnly {
				t.Errorf("%s runs as %s", pod.Name, out)
			}
			ready := false
			for _, c := range pod.Status.Conditions {
				ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
			}
			if restarts := pod.Status.ContainerStatuses[0].RestartCount; !ready || restarts != 0 {
				t.Errorf("%s: ready %t, %d restarts (liveness or readiness failing)", pod.Name, ready, restarts)
			}
			t.Logf("%s: %s", pod.Name, out)
		}
	}
	for svc := range s.databases {
		db := s.database(t, svc)
		rows, err := db.Query(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%schema_migrations' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(tables) == 0 {
			t.Fatalf("%s has no migration version table (%v)", s.databases[svc], err)
		}
		for _, table := range tables {
			name := pgx.Identifier{table}.Sanitize()
			var applied, twice int
			err := db.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM `+name+` WHERE version_id > 0),
				(SELECT count(*) FROM (SELECT version_id FROM `+name+` WHERE is_applied GROUP BY 1 HAVING count(*) > 1) AS d)`).Scan(&applied, &twice)
			if err != nil {
				t.Fatal(err)
			}
			if twice != 0 {
				t.Errorf("%s.%s: %d migrations were applied twice", s.databases[svc], table, twice)
			}
			t.Logf("%s.%s: %d migrations, each applied once by the replicas started at once", s.databases[svc], table, applied)
		}
	}
}
