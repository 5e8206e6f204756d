#!/bin/sh
# meson install script: installs the default config as <sysconfdir>/rampart/rampart.yaml only
# when no rampart.yaml is there yet, so an upgrade never overwrites the operator's config.
#   install-config.sh SOURCE_YAML ABSOLUTE_SYSCONFDIR
set -eu
source_yaml=$1
target_dir="${DESTDIR:-}$2/rampart"
mkdir -p "${target_dir}"
if [ -e "${target_dir}/rampart.yaml" ]; then
  echo "rampart: keeping ${target_dir}/rampart.yaml (the shipped default is in the docs directory as rampart.yaml.default)"
else
  install -m 0644 "${source_yaml}" "${target_dir}/rampart.yaml"
  echo "rampart: installed ${target_dir}/rampart.yaml"
fi
