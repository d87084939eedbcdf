#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Documentation check for gst-acs elements.

For every element given on the command line:
  1. `G_DEBUG=fatal_criticals gst-inspect-1.0 <element>` must succeed;
  2. every property the element adds has a real blurb: not empty, not equal
     to its nick or name, a sentence of some length;
  3. the element's page docs/elements/<element>.md lists exactly the
     properties gst-inspect shows (table rows "| `name` | ..." under
     "## Properties"), names every signal under "## Signals" and every pad
     template under "## Pads".
Exits 1 listing every problem found.
"""

import os
import re
import subprocess
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

BASE_TYPES = ("GObject", "GstObject", "GstElement", "GstBin", "GstPipeline")


def section(text, title):
    m = re.search(r"^## %s\s*$(.*?)(?=^## |\Z)" % re.escape(title), text,
                  re.M | re.S)
    return m.group(1) if m else ""


def check(element, docs_dir):
    problems = []
    env = dict(os.environ, G_DEBUG="fatal_criticals")
    r = subprocess.run(["gst-inspect-1.0", element], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("gst-inspect-1.0 %s failed (%d): %s" %
                        (element, r.returncode, r.stderr.strip()[-500:]))
        return problems

    factory = Gst.ElementFactory.find(element)
    el = factory.create(None)
    gtype = type(el).__gtype__

    props = []
    for pspec in GObject.list_properties(gtype):
        if pspec.owner_type.name in BASE_TYPES:
            continue
        props.append(pspec.name)
        blurb = (pspec.blurb or "").strip()
        if not blurb:
            problems.append("%s: property %s has an empty blurb" %
                            (element, pspec.name))
        elif blurb.lower() in (pspec.nick.lower(), pspec.name.lower()):
            problems.append("%s: property %s: blurb repeats its nick" %
                            (element, pspec.name))
        elif len(blurb) < 25 or " " not in blurb:
            problems.append("%s: property %s: blurb '%s' says too little" %
                            (element, pspec.name, blurb))

    signals = list(GObject.signal_list_names(gtype))
    pads = [t.name_template for t in factory.get_static_pad_templates()]

    page = os.path.join(docs_dir, "elements", element + ".md")
    if not os.path.exists(page):
        problems.append("%s: no documentation page %s" % (element, page))
        return problems
    with open(page, encoding="utf-8") as f:
        text = f.read()

    # The first table of the section lists the properties
    table = re.search(r"((?:^\|.*\n)+)", section(text, "Properties"), re.M)
    documented = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|",
                            table.group(1) if table else "", re.M)
    for p in sorted(set(props) - set(documented)):
        problems.append("%s: property %s is missing from %s" %
                        (element, p, page))
    for p in sorted(set(documented) - set(props)):
        problems.append("%s: %s documents property %s, which gst-inspect "
                        "does not show" % (element, page, p))

    sig_text = section(text, "Signals")
    for s in signals:
        if "`%s`" % s not in sig_text:
            problems.append("%s: signal %s is not described under "
                            "## Signals in %s" % (element, s, page))
    pad_text = section(text, "Pads")
    for p in pads:
        if "`%s`" % p not in pad_text:
            problems.append("%s: pad %s is not described under ## Pads "
                            "in %s" % (element, p, page))
    el = None
    return problems


def main():
    docs_dir = os.path.dirname(os.path.abspath(__file__))
    Gst.init(None)
    problems = []
    for element in sys.argv[1:]:
        if Gst.ElementFactory.find(element) is None:
            problems.append("element %s not found (GST_PLUGIN_PATH?)" %
                            element)
            continue
        problems += check(element, docs_dir)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("documentation of %s: ok" % ", ".join(sys.argv[1:]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
