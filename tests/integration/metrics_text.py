"""A strict reader of the Prometheus text exposition format, on top of prometheus_client's parser.

prometheus_client (Debian's python3-prometheus-client) parses samples; the checks here add what it
lets through: every family announced by HELP and TYPE before its samples, each family written in
one block, no series written twice, histogram buckets cumulative and ending at +Inf == _count."""

import math
import re

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("",), "gauge": ("",)}


class Scrape:
    def __init__(self, text):
        self.text = text
        self.types = {}
        check_layout(text, self.types)
        self.samples = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                key = (s.name, tuple(sorted(s.labels.items())))
                assert key not in self.samples, f"series written twice: {key}"
                self.samples[key] = s.value
        check_histograms(self)

    def series(self, name, **labels):
        """Every (labels, value) of `name` whose labels include `labels`."""
        out = []
        for (n, lbls), v in self.samples.items():
            d = dict(lbls)
            if n == name and all(d.get(k) == str(val) for k, val in labels.items()):
                out.append((d, v))
        return out

    def value(self, name, **labels):
        found = self.series(name, **labels)
        assert len(found) == 1, f"{name}{labels}: {len(found)} series match: {found}"
        return found[0][1]

    def total(self, name, **labels):
        return sum(v for _, v in self.series(name, **labels))


def check_layout(text, types):
    assert text.endswith("\n"), "the exposition must end with a line feed"
    seen_done = set()
    current = None
    helped = set()
    for line in text.split("\n")[:-1]:
        assert line, "no empty lines"
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert NAME.match(name), line
            assert name not in helped, f"HELP twice for {name}"
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in helped, f"TYPE before HELP for {name}"
            assert kind in SUFFIXES, line
            assert name not in types, f"TYPE twice for {name}"
            if current:
                seen_done.add(current)
            types[name] = kind
            current = name
            continue
        assert not line.startswith("#"), line
        sample_name = re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        assert current, f"sample before any TYPE: {line}"
        allowed = [current + s for s in SUFFIXES[types[current]]]
        assert sample_name in allowed, f"{sample_name} outside its family's block ({current})"
        value = line.rsplit(" ", 1)[1]
        assert value in ("+Inf", "-Inf", "NaN") or math.isfinite(float(value)), line


def check_histograms(scrape):
    for name, kind in scrape.types.items():
        if kind != "histogram":
            continue
        groups = {}
        for (n, lbls), v in scrape.samples.items():
            if n != name + "_bucket":
                continue
            d = dict(lbls)
            le = d.pop("le")
            groups.setdefault(tuple(sorted(d.items())), []).append((float(le), v))
        for key, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), f"{name}{key}: buckets not cumulative"
            assert buckets[-1][0] == math.inf, f"{name}{key}: no +Inf bucket"
            count = scrape.samples[(name + "_count", key)]
            assert buckets[-1][1] == count, f"{name}{key}: +Inf bucket != _count"
