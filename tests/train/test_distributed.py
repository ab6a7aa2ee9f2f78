"""accelerate config generation: files accelerate itself accepts."""

from __future__ import annotations

import pytest

from threadsmith.errors import UserError
from threadsmith.train.distributed import accelerate_config, launch_command, to_yaml

yaml = pytest.importorskip("yaml")


def _load_with_accelerate(tmp_path, config):
    config_args = pytest.importorskip("accelerate.commands.config.config_args")
    path = tmp_path / "accelerate.yaml"
    path.write_text(to_yaml(config), encoding="utf-8")
    return config_args.ClusterConfig.from_yaml_file(str(path))  # raises on unknown keys


def test_fsdp_config_is_read_by_accelerate(tmp_path):
    loaded = _load_with_accelerate(tmp_path, accelerate_config("fsdp", processes=4))
    assert str(loaded.distributed_type).endswith("FSDP")
    assert loaded.num_processes == 4 and loaded.fsdp_config["fsdp_version"] == 2
    assert loaded.mixed_precision == "bf16"


def test_deepspeed_config_is_read_by_accelerate(tmp_path):
    loaded = _load_with_accelerate(tmp_path, accelerate_config("deepspeed", zero_stage=2, offload=True))
    assert str(loaded.distributed_type).endswith("DEEPSPEED")
    assert loaded.deepspeed_config["zero_stage"] == 2
    assert loaded.deepspeed_config["offload_optimizer_device"] == "cpu"
    assert loaded.deepspeed_config["offload_param_device"] == "none"


def test_multi_node_layout(tmp_path):
    loaded = _load_with_accelerate(tmp_path, accelerate_config("multi-gpu", processes=16, machines=2, machine_rank=1,
                                                               main_ip="10.0.0.1"))
    assert (loaded.num_machines, loaded.machine_rank, loaded.main_process_ip) == (2, 1, "10.0.0.1")


@pytest.mark.parametrize("kwargs", [{"kind": "horovod"}, {"kind": "fsdp", "machines": 2},
                                    {"kind": "deepspeed", "zero_stage": 4}, {"kind": "fsdp", "processes": 0}])
def test_bad_layouts_are_user_errors(kwargs):
    with pytest.raises(UserError):
        accelerate_config(**kwargs)


def test_launch_command_names_the_file():
    assert launch_command("fsdp.yaml", "train.toml") == \
        "accelerate launch --config_file fsdp.yaml -m threadsmith train --config train.toml"
