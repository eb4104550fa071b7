//go:build charttest

package charttest

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/url"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// container returns a Deployment's first container, typed.
func container(t *testing.T, d *unstructured.Unstructured) (corev1.Container, *corev1.PodSpec) {
	t.Helper()
	spec, _, ok, err := PodSpecOf(d)
	if err != nil || !ok || len(spec.Containers) == 0 {
		t.Fatalf("%s: no pod spec (%v)", d.GetName(), err)
	}
	return spec.Containers[0], spec
}

// envOf returns the value or Secret reference of a container's variable.
func envOf(c corev1.Container, name string) (value string, ref *corev1.SecretKeySelector) {
	for _, e := range c.Env {
		if e.Name == name {
			if e.ValueFrom != nil {
				return "", e.ValueFrom.SecretKeyRef
			}
			return e.Value, nil
		}
	}
	return "", nil
}

// bootstrapConf returns the lines of a bundled store's bootstrap
// configuration (the ConfigMap the sidecar reads).
func bootstrapConf(t *testing.T, r *Rendered, configMap, key string) []string {
	t.Helper()
	cm := r.Find("ConfigMap", configMap)
	if cm == nil {
		t.Fatalf("no ConfigMap %s", configMap)
	}
	conf, _, _ := unstructured.NestedString(cm.Object, "data", key)
	return strings.Split(strings.TrimSpace(conf), "\n")
}

// TestEachServiceHasItsOwnIdentity holds every profile with bundled stores to
// one identity per service: its own PostgreSQL role (never the superuser)
// that the roles script makes the owner of its database alone, its own
// RabbitMQ user whose permissions name the exchange and its own queues only,
// and for search its own Elasticsearch user with a role on its index alias.
func TestEachServiceHasItsOwnIdentity(t *testing.T) {
	_, renders := renderAll(t)
	for _, name := range []string{"defaults", "staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			r := renders[name]
			superuser, _, _ := unstructured.NestedString(r.Values, "global", "postgresql", "username")
			conf := func(configMap, key string) []string {
				cm := r.Find("ConfigMap", configMap)
				if cm == nil {
					t.Errorf("no ConfigMap %s: nothing gives the services identities of their own", configMap)
					return nil
				}
				return bootstrapConf(t, r, configMap, key)
			}
			roles := conf("shop-postgresql-bootstrap", "shop-roles.conf")
			users := conf("shop-rabbitmq-bootstrap", "shop-users.conf")
			seenPG, seenMQ := map[string]string{}, map[string]string{}
			for _, svc := range Services {
				c, _ := container(t, r.Find("Deployment", ReleaseName+"-"+svc))
				if dsn, _ := envOf(c, "DATABASE_URL"); dsn != "" {
					u, err := url.Parse(dsn)
					if err != nil {
						t.Fatal(err)
					}
					role, db := u.User.Username(), strings.TrimPrefix(u.Path, "/")
					switch {
					case role == superuser:
						t.Errorf("%s connects to PostgreSQL as the superuser %q", svc, role)
					case seenPG[role] != "":
						t.Errorf("%s connects to PostgreSQL as %q, %s's role", svc, role, seenPG[role])
					}
					seenPG[role] = svc
					if !slices.Contains(roles, "role "+role+" "+db) {
						t.Errorf("%s's role %s owning %s is not in the roles configuration %v", svc, role, db, roles)
					}
					if _, ref := envOf(c, "DATABASE_PASSWORD"); ref == nil || ref.Key != role {
						t.Errorf("%s reads its PostgreSQL password from %v, want the key %s", svc, ref, role)
					}
				}
				if amqpURL, _ := envOf(c, "AMQP_URL"); amqpURL != "" {
					u, err := url.Parse(amqpURL)
					if err != nil {
						t.Fatal(err)
					}
					user := u.User.Username()
					switch {
					case user == "shop":
						t.Errorf("%s connects to RabbitMQ as the administrator %q", svc, user)
					case seenMQ[user] != "":
						t.Errorf("%s connects to RabbitMQ as %q, %s's user", svc, user, seenMQ[user])
					}
					seenMQ[user] = svc
					line := ""
					for _, l := range users {
						if strings.HasPrefix(l, "user "+user+" ") {
							line = l
						}
					}
					perms := strings.Fields(line)
					if len(perms) != 5 {
						t.Errorf("%s's user %s has no permissions line in %v", svc, user, users)
						continue
					}
					own := svc + `\..*`
					for i, p := range perms[2:] {
						if !strings.Contains(p, own) || strings.Contains(p, ".*|") || strings.Contains(p, "^.*") {
							t.Errorf("%s's %s permission %q is not limited to the exchange and its own queues %s", svc, []string{"configure", "write", "read"}[i], p, own)
						}
					}
				}
			}
			if len(seenPG) != 3 || len(seenMQ) != 4 {
				t.Errorf("PostgreSQL roles %v, RabbitMQ users %v: want catalog, order and payment in PostgreSQL, catalog, order, payment and search in RabbitMQ", seenPG, seenMQ)
			}
			if name == "defaults" {
				return
			}
			c, _ := container(t, r.Find("Deployment", ReleaseName+"-search"))
			if user, _ := envOf(c, "ELASTICSEARCH_USERNAME"); user != "search" {
				t.Errorf("search connects to Elasticsearch as %q, want its own user search", user)
			}
			if _, ref := envOf(c, "ELASTICSEARCH_PASSWORD"); ref == nil || ref.Name != "shop-elasticsearch-search" {
				t.Errorf("search reads its Elasticsearch password from %v, want Secret shop-elasticsearch-search", ref)
			}
			es := r.Find("Elasticsearch", ReleaseName+"-elasticsearch")
			realm, _, _ := unstructured.NestedSlice(es.Object, "spec", "auth", "fileRealm")
			if len(realm) != 1 || realm[0].(map[string]any)["secretName"] != "shop-elasticsearch-search" || r.Find("Secret", "shop-elasticsearch-search") == nil {
				t.Errorf("the Elasticsearch cluster's file realm is %v, want the rendered Secret shop-elasticsearch-search", realm)
			}
			esRoles, _, _ := unstructured.NestedString(r.Find("Secret", "shop-elasticsearch-roles").Object, "stringData", "roles.yml")
			if !strings.Contains(esRoles, `names: ["products", "products-*"]`) || strings.Contains(esRoles, "cluster") {
				t.Errorf("search's Elasticsearch role is not limited to its index alias products and the indices behind it:\n%s", esRoles)
			}
		})
	}
}

// TestPostgreSQLTLSInStagingAndProd proves the services verify the bundled
// PostgreSQL's certificate in staging and prod: sslmode=verify-full with
// sslrootcert naming the CA mounted from the Secret, a certificate for the
// host the services dial signed by that CA, and the server's TLS turned on
// by the roles script.
func TestPostgreSQLTLSInStagingAndProd(t *testing.T) {
	_, renders := renderAll(t)
	for _, name := range []string{"staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			r := renders[name]
			secret := r.Find("Secret", "shop-postgresql-auth")
			data, _, _ := unstructured.NestedStringMap(secret.Object, "data")
			pemOf := func(key string) []byte {
				b, err := base64.StdEncoding.DecodeString(data[key])
				if err != nil {
					t.Fatalf("shop-postgresql-auth key %s: %v", key, err)
				}
				return b
			}
			caBlock, _ := pem.Decode(pemOf("ca.crt"))
			certBlock, _ := pem.Decode(pemOf("tls.crt"))
			if caBlock == nil || certBlock == nil || len(data["tls.key"]) == 0 {
				t.Fatalf("shop-postgresql-auth has no CA, certificate and key: keys %v", keys(data))
			}
			ca, err := x509.ParseCertificate(caBlock.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(certBlock.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AddCert(ca)
			if !slices.Contains(bootstrapConf(t, r, "shop-postgresql-bootstrap", "shop-roles.conf"), "tls on") {
				t.Error("the roles script does not turn the server's TLS on")
			}
			for _, svc := range []string{"catalog", "order"} {
				c, spec := container(t, r.Find("Deployment", ReleaseName+"-"+svc))
				dsn, _ := envOf(c, "DATABASE_URL")
				u, err := url.Parse(dsn)
				if err != nil {
					t.Fatal(err)
				}
				q := u.Query()
				if q.Get("sslmode") != "verify-full" || q.Get("sslrootcert") == "" {
					t.Fatalf("%s's DATABASE_URL %s does not verify the server's certificate", svc, dsn)
				}
				if _, err := cert.Verify(x509.VerifyOptions{DNSName: u.Hostname(), Roots: pool}); err != nil {
					t.Errorf("%s dials %s, which the server's certificate does not cover for that CA: %v", svc, u.Hostname(), err)
				}
				if !mountsSecretKey(c, spec, q.Get("sslrootcert"), "shop-postgresql-auth", "ca.crt") {
					t.Errorf("%s: sslrootcert %s is not the key ca.crt of Secret shop-postgresql-auth mounted read-only", svc, q.Get("sslrootcert"))
				}
			}
		})
	}
}

// mountsSecretKey tells whether path in the container is the file of key in
// the Secret, through a read-only volume mount.
func mountsSecretKey(c corev1.Container, spec *corev1.PodSpec, path, secret, key string) bool {
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly || !strings.HasPrefix(path, m.MountPath+"/") {
			continue
		}
		file := strings.TrimPrefix(path, m.MountPath+"/")
		for _, v := range spec.Volumes {
			if v.Name != m.Name || v.Secret == nil || v.Secret.SecretName != secret {
				continue
			}
			for _, item := range v.Secret.Items {
				if item.Key == key && item.Path == file {
					return true
				}
			}
		}
	}
	return false
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestExternalStoresKeepTheirUsers proves a release against external
// servers keeps connecting as global.*.username unless a service names its
// own role and user, which it then reads from its own Secret.
func TestExternalStoresKeepTheirUsers(t *testing.T) {
	_, renders := renderAll(t)
	r := renders["testdata/external"]
	check := func(svc, variable, secretVar, wantUser, wantSecret, wantKey string) {
		t.Helper()
		c, _ := container(t, r.Find("Deployment", ReleaseName+"-"+svc))
		raw, _ := envOf(c, variable)
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, ref := envOf(c, secretVar)
		if u.User.Username() != wantUser || ref == nil || ref.Name != wantSecret || ref.Key != wantKey {
			t.Errorf("%s %s connects as %q with %v, want %s with key %s of Secret %s", svc, variable, u.User.Username(), ref, wantUser, wantKey, wantSecret)
		}
	}
	check("catalog", "DATABASE_URL", "DATABASE_PASSWORD", "shop_catalog", "shop-external-catalog", "postgresql-password")
	check("order", "DATABASE_URL", "DATABASE_PASSWORD", "shop_app", "shop-external-postgresql", "db-password")
	check("catalog", "AMQP_URL", "AMQP_PASSWORD", "shop_catalog", "shop-external-catalog", "rabbitmq-password")
	check("search", "AMQP_URL", "AMQP_PASSWORD", "shop_app", "shop-external-rabbitmq", "amqp-password")
	if r.Find("ConfigMap", "shop-postgresql-bootstrap") != nil || r.Find("ConfigMap", "shop-rabbitmq-bootstrap") != nil {
		t.Error("the chart renders a bootstrap for stores it does not bundle")
	}
	for _, line := range []string{"postgresql: external, orders-db.example.internal", "rabbitmq: external, mq.example.internal", "elasticsearch: external, https://search.example.internal:9243"} {
		if !strings.Contains(r.Notes, line) {
			t.Errorf("NOTES.txt does not say %q:\n%s", line, r.Notes)
		}
	}
}
