// Command compose-check validates the compose stack where no Docker engine runs: it loads
// docker-compose.yml with Docker Compose's own loader (compose-go) and an env file, and lints
// Dockerfiles with BuildKit's Dockerfile linter (the checks of `docker build --check`), then adds the
// stack's own rules. It prints every problem and exits 1 if there is one.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
	"github.com/sirupsen/logrus"
)

// oneShotLabel marks a service that runs to completion (an init job): it needs no health check.
const oneShotLabel = "dev.sluice.one-shot"

type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// warnings collects what compose-go logs as warnings (an unset variable, an obsolete attribute).
type warnings struct{ messages []string }

func (w *warnings) Levels() []logrus.Level {
	return []logrus.Level{logrus.WarnLevel, logrus.ErrorLevel}
}

func (w *warnings) Fire(entry *logrus.Entry) error {
	w.messages = append(w.messages, entry.Message)
	return nil
}

func main() {
	composeFile := flag.String("compose", "docker-compose.yml", "the compose file")
	envFile := flag.String("env-file", ".env.example", "the env file its variables come from")
	var dockerfiles multiFlag
	flag.Var(&dockerfiles, "dockerfile", "a Dockerfile to lint (repeatable)")
	flag.Parse()

	var found problems
	checkCompose(*composeFile, *envFile, &found)
	for _, dockerfile := range dockerfiles {
		checkDockerfile(dockerfile, &found)
	}
	if len(found) > 0 {
		for _, problem := range found {
			fmt.Fprintln(os.Stderr, "compose-check: "+problem)
		}
		fmt.Fprintf(os.Stderr, "compose-check: %d problem(s)\n", len(found))
		os.Exit(1)
	}
	fmt.Printf("compose-check: %s with %s and %d Dockerfile(s): no problems\n", *composeFile, *envFile, len(dockerfiles))
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func checkCompose(composeFile, envFile string, found *problems) {
	logged := &warnings{}
	logrus.AddHook(logged)
	// Reported below as problems, not printed twice.
	logrus.SetOutput(io.Discard)
	options, err := cli.NewProjectOptions(
		[]string{composeFile},
		cli.WithWorkingDirectory(filepath.Dir(composeFile)),
		// Only the env file: the machine's environment must not hide a variable the file lacks.
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		// Every profile, so that no service escapes the checks.
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		found.add("%s: %v", composeFile, err)
		return
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		found.add("%s: %v", composeFile, err)
		return
	}
	for _, message := range logged.messages {
		found.add("%s: the loader warns: %s", composeFile, message)
	}
	checkServices(project, found)
}

func checkServices(project *types.Project, found *problems) {
	names := make([]string, 0, len(project.Services))
	for name := range project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	hostPorts := map[string]string{}
	for _, name := range names {
		service := project.Services[name]
		oneShot := service.Labels[oneShotLabel] == "true"
		healthy := service.HealthCheck != nil && !service.HealthCheck.Disable && len(service.HealthCheck.Test) > 0
		switch {
		case oneShot && healthy:
			found.add("service %s: a one-shot job (label %s) has a health check, which nothing can wait for", name, oneShotLabel)
		case oneShot && service.Restart != "" && service.Restart != "no":
			found.add("service %s: a one-shot job must not restart (restart: %q)", name, service.Restart)
		case !oneShot && !healthy:
			found.add("service %s: no health check (or label it %s: \"true\" if it runs to completion)", name, oneShotLabel)
		}
		if !strings.Contains(service.Image, ":") || strings.HasSuffix(service.Image, ":latest") {
			found.add("service %s: image %q is not pinned to a version", name, service.Image)
		}
		dependencies := make([]string, 0, len(service.DependsOn))
		for dependency := range service.DependsOn {
			dependencies = append(dependencies, dependency)
		}
		sort.Strings(dependencies)
		for _, dependency := range dependencies {
			checkDependency(project, name, dependency, service.DependsOn[dependency], found)
		}
		for _, port := range service.Ports {
			if port.Published == "" {
				continue
			}
			key := port.HostIP + ":" + port.Published + "/" + port.Protocol
			if other, clash := hostPorts[key]; clash {
				found.add("service %s: host port %s is also published by %s", name, port.Published, other)
			}
			hostPorts[key] = name
		}
	}
}

func checkDependency(project *types.Project, name, dependency string, config types.ServiceDependency, found *problems) {
	target, known := project.Services[dependency]
	if !known {
		found.add("service %s depends on %s, which is not a service", name, dependency)
		return
	}
	targetIsOneShot := target.Labels[oneShotLabel] == "true"
	switch config.Condition {
	case types.ServiceConditionHealthy:
		if targetIsOneShot {
			found.add("service %s waits for one-shot job %s to be healthy: use service_completed_successfully", name, dependency)
		}
	case types.ServiceConditionCompletedSuccessfully:
		if !targetIsOneShot {
			found.add("service %s waits for %s to complete, but %s is not labelled a one-shot job", name, dependency, dependency)
		}
	default:
		found.add("service %s depends on %s with condition %q: use service_healthy or service_completed_successfully",
			name, dependency, config.Condition)
	}
}

// offlineImages answers the linter's questions about base images without a registry: an image
// config with the platform and the variables the stack's base images define (so that the
// undefined-variable rule knows them).
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Env": []string{
				"PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"JAVA_HOME=/opt/java/openjdk",
			},
		},
	})
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(config), config, nil
}

func checkDockerfile(path string, found *problems) {
	text, err := os.ReadFile(path)
	if err != nil {
		found.add("%s: %v", path, err)
		return
	}
	sourceMap := llb.NewSourceMap(nil, path, "Dockerfile", text)
	// The lint results name their source by an LLB definition; a file linted alone has an empty one.
	sourceMap.Definition = &llb.Definition{}
	results, err := dockerfile2llb.DockerfileLint(context.Background(), text, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{},
		SourceMap:    sourceMap,
		MetaResolver: offlineImages{},
	})
	if err != nil {
		found.add("%s: %v", path, err)
		return
	}
	if results.Error != nil {
		found.add("%s: %s", path, results.Error.Message)
	}
	for _, warning := range results.Warnings {
		line := 0
		if warning.Location != nil && len(warning.Location.Ranges) > 0 {
			line = int(warning.Location.Ranges[0].Start.Line)
		}
		found.add("%s:%d: %s: %s (%s)", path, line, warning.RuleName, warning.Detail, warning.URL)
	}
	checkEssentials(path, text, found)
}

// checkEssentials: the final stage runs as a user other than root and has a health check.
func checkEssentials(path string, text []byte, found *problems) {
	result, err := parser.Parse(strings.NewReader(string(text)))
	if err != nil {
		found.add("%s: %v", path, err)
		return
	}
	stages, _, err := instructions.Parse(result.AST, nil)
	if err != nil {
		found.add("%s: %v", path, err)
		return
	}
	if len(stages) == 0 {
		found.add("%s: no stage", path)
		return
	}
	final := stages[len(stages)-1]
	user := ""
	healthcheck := false
	for _, command := range final.Commands {
		switch c := command.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			healthcheck = c.Health != nil && len(c.Health.Test) > 0 && c.Health.Test[0] != "NONE"
		}
	}
	// A stage built on an image of ours inherits that image's user; the Superset image's own is kept.
	if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") || strings.HasPrefix(user, "root:") {
		found.add("%s: the final stage runs as root (its last USER is %q)", path, user)
	}
	if !healthcheck && isSluiceImage(path) {
		found.add("%s: the final stage has no HEALTHCHECK", path)
	}
}

// isSluiceImage: the root Dockerfile, Sluice's own image, which must carry its health check; derived
// images of other projects (Superset) keep their base image's.
func isSluiceImage(path string) bool {
	return filepath.Dir(filepath.Clean(path)) == "."
}
