"""Multi-GPU and multi-node training through ``accelerate launch`` with generated config files.

Threadsmith does not ship its own launcher: it writes the config files accelerate reads
(FSDP 2, DeepSpeed ZeRO, plain data parallel), in the layout ``accelerate config`` itself writes
and TRL's reference configs use, and the run is started with::

    threadsmith accelerate-config fsdp --processes 8 -o fsdp.yaml
    accelerate launch --config_file fsdp.yaml -m threadsmith train --config train.toml

On several machines, write one file per machine (``--machines 2 --machine-rank 0|1
--main-ip 10.0.0.1``) and run the same command on each. Only rank 0 records the run in the
workspace and writes the adapter.
"""

from __future__ import annotations

from typing import Any

from threadsmith.errors import UserError

KINDS = ("fsdp", "deepspeed", "multi-gpu")


def accelerate_config(kind: str, *, processes: int = 8, machines: int = 1, machine_rank: int = 0,
                      main_ip: str | None = None, main_port: int = 29500, precision: str = "bf16",
                      zero_stage: int = 3, offload: bool = False,
                      activation_checkpointing: bool = False) -> dict[str, Any]:
    """An accelerate config (as a dict; :func:`to_yaml` writes it) for ``kind``: fsdp, deepspeed or multi-gpu.

    ``processes`` is the total number of GPUs over all machines (accelerate's ``num_processes``).
    """
    if kind not in KINDS:
        raise UserError(f"Unknown distributed kind {kind!r}.", hint=f"Use one of: {', '.join(KINDS)}.")
    if processes < 1 or machines < 1 or not 0 <= machine_rank < machines:
        raise UserError(f"Bad layout: {processes} processes, {machines} machines, rank {machine_rank}.",
                        hint="processes >= 1, machines >= 1, 0 <= machine-rank < machines.")
    if machines > 1 and not main_ip:
        raise UserError("A multi-node config needs the main machine's address.", hint="Pass --main-ip.")
    if zero_stage not in (1, 2, 3):
        raise UserError(f"DeepSpeed ZeRO stage {zero_stage} does not exist.", hint="Use 1, 2 or 3.")
    config: dict[str, Any] = {
        "compute_environment": "LOCAL_MACHINE", "debug": False, "downcast_bf16": "no", "enable_cpu_affinity": False,
        "machine_rank": machine_rank, "main_training_function": "main",
        "mixed_precision": {"fp32": "no"}.get(precision, precision), "num_machines": machines,
        "num_processes": processes, "rdzv_backend": "static", "same_network": True, "tpu_env": [],
        "tpu_use_cluster": False, "tpu_use_sudo": False, "use_cpu": False,
    }
    if machines > 1:
        config.update(main_process_ip=main_ip, main_process_port=main_port)
    if kind == "fsdp":
        config["distributed_type"] = "FSDP"
        config["fsdp_config"] = {
            "fsdp_activation_checkpointing": activation_checkpointing,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP", "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_offload_params": offload, "fsdp_reshard_after_forward": True,
            "fsdp_state_dict_type": "FULL_STATE_DICT", "fsdp_version": 2,
        }
    elif kind == "deepspeed":
        config["distributed_type"] = "DEEPSPEED"
        config["deepspeed_config"] = {
            "deepspeed_multinode_launcher": "standard",
            "offload_optimizer_device": "cpu" if offload else "none",
            "offload_param_device": "cpu" if offload and zero_stage == 3 else "none",
            "zero3_init_flag": zero_stage == 3, "zero3_save_16bit_model": zero_stage == 3, "zero_stage": zero_stage,
        }
    else:
        config["distributed_type"] = "MULTI_GPU"
    return config


def to_yaml(config: dict[str, Any]) -> str:
    """The config as accelerate's YAML file text."""
    try:
        import yaml
    except ImportError:
        from threadsmith.errors import MissingDependency

        raise MissingDependency("pyyaml", extra="train", purpose="Writing accelerate configs") from None
    return str(yaml.safe_dump(config, sort_keys=True))


def launch_command(config_file: str, train_config: str | None = None) -> str:
    """The command that starts a distributed run with a config file."""
    args = f" --config {train_config}" if train_config else " --config train.toml"
    return f"accelerate launch --config_file {config_file} -m threadsmith train{args}"
