"""load_model: the attention kernel per family, and requests refused before anything loads
(a device this machine lacks, an unreachable hub, an encoder-decoder model)."""
from __future__ import annotations

import time

import pytest
import torch

from headprint.errors import HeadprintError
from headprint.models import load_model
from headprint.models.preflight import (DeviceError, HubUnreachableError, NotCausalLMError,
                                        check_device)
from tests.tiny_models import save_tiny_folder


@pytest.mark.parametrize("family, kernel", [("llama", "sdpa"), ("gpt_neox", "sdpa"),
                                            ("falcon", "sdpa"), ("gemma2", "eager"),
                                            ("bloom", "eager")])
def test_attention_kernel_chosen_per_family_and_recorded(tmp_path, family, kernel):
    """Gemma-2 and BLOOM have no SDPA path in transformers: asking for SDPA raised."""
    loaded = load_model(str(save_tiny_folder(family, tmp_path)))
    assert loaded.attn_implementation == kernel
    assert loaded.model.config._attn_implementation == kernel


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_without_cuda_is_one_line_naming_device_and_choices(tmp_path, no_cuda, device):
    folder = save_tiny_folder("llama", tmp_path)
    with pytest.raises(DeviceError) as err:
        load_model(str(folder), device=device)
    message = str(err.value)
    assert f"'{device}'" in message and "available here: cpu" in message
    assert "\n" not in message and isinstance(err.value, HeadprintError)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "tpu9", ""])
def test_unknown_device_is_one_line_naming_it(tmp_path, device):
    folder = save_tiny_folder("llama", tmp_path)
    with pytest.raises(DeviceError, match=rf"'{device}'.*available here: cpu"):
        load_model(str(folder), device=device)


def test_cpu_devices_accepted():
    assert check_device("cpu") == torch.device("cpu")
    assert check_device(None) is None


@pytest.mark.parametrize("kind", ["t5", "bart"])
def test_encoder_decoder_refused_naming_model_type(tmp_path, kind):
    """T5 has no causal-LM class (transformers' error was a 3 KB mapping dump); BART has
    one (its decoder alone), which would have loaded silently."""
    from transformers import (BartConfig, BartForConditionalGeneration, T5Config,
                              T5ForConditionalGeneration)

    if kind == "t5":
        model = T5ForConditionalGeneration(T5Config(
            vocab_size=64, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2))
    else:
        model = BartForConditionalGeneration(BartConfig(
            vocab_size=64, d_model=16, encoder_layers=1, decoder_layers=1,
            encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
            decoder_ffn_dim=32, max_position_embeddings=32))
    model.save_pretrained(tmp_path)
    with pytest.raises(NotCausalLMError) as err:
        load_model(str(tmp_path))
    message = str(err.value)
    assert f"'{kind}'" in message
    assert "not supported: headprint needs a decoder-only causal LM" in message
    assert len(message) < 300 and "\n" not in message


HUB_BOUND = 10.0  # seconds; huggingface_hub's retries took 48 s here before the probe


def test_unreachable_hub_fails_in_seconds(monkeypatch):
    """A closed local port as the endpoint: refused at once, wherever the suite runs."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    start = time.monotonic()
    with pytest.raises(HubUnreachableError, match=r"'someone/no-such-model'.*127\.0\.0\.1:9"):
        load_model("someone/no-such-model")
    assert time.monotonic() - start < HUB_BOUND


def test_offline_hub_fails_in_seconds_naming_the_setting(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    start = time.monotonic()
    with pytest.raises(HubUnreachableError, match="HF_HUB_OFFLINE is set.*not in the local"):
        load_model("someone/no-such-model")
    assert time.monotonic() - start < HUB_BOUND


def test_concurrent_first_loads_convert_once(tmp_path, monkeypatch):
    """Two first loads of a built-in at once: one converts, the other waits and reuses it
    (before, both converted and the slower one failed on the other's rename)."""
    import threading
    import time

    from headprint.models import loading

    monkeypatch.setenv("HEADPRINT_CACHE", str(tmp_path))
    calls = []

    def slow_convert(name, final):
        calls.append(name)
        time.sleep(0.3)  # long enough for the second caller to arrive while this one runs
        final.mkdir(parents=True)
        (final / loading._FINGERPRINT_FILE).write_text("{}")
        return final

    monkeypatch.setattr(loading, "_convert_builtin_locked", slow_convert)
    got = []
    threads = [threading.Thread(target=lambda: got.append(loading.convert_builtin("m")))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["m"]
    assert got == [tmp_path / "models" / "m"] * 2
