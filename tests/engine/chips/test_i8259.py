"""8259A PIC against the datasheet, programmed the way the IBM XT BIOS and DOS do it."""

import json

import pytest

from engine.chips.i8259 import PIC8259


class Cpu:
    def __init__(self):
        self.levels = []

    def set_intr(self, level):
        self.levels.append(level)

    @property
    def intr(self):
        return bool(self.levels) and self.levels[-1]


def xt_pic(aeoi=False):
    """ICW1=13h (edge, single, ICW4), ICW2=08h, ICW4=09h (buffered 8086) as the XT BIOS."""
    pic = PIC8259()
    cpu = Cpu()
    pic.intr = cpu.set_intr
    pic.write(0x20, 0x13)
    pic.write(0x21, 0x08)
    pic.write(0x21, 0x0B if aeoi else 0x09)
    pic.write(0x21, 0x00)  # OCW1: unmask all
    return pic, cpu


def test_bios_init_sequence_sets_vector_base_and_mode():
    pic, _ = xt_pic()
    assert pic.vector_base == 0x08
    assert pic.single and not pic.level_triggered and pic.x86_mode
    assert pic.buffered == 2 and not pic.auto_eoi
    assert pic.init_step == 0
    assert pic.read(0x21) == 0x00


def test_icw1_clears_mask_and_service_and_waits_for_icw2():
    pic, _ = xt_pic()
    pic.write(0x21, 0xFF)
    pic.set_irq(3, True)
    pic.write(0x20, 0x13)
    assert pic.read(0x21) == 0x00 and pic.irr == 0 and pic.init_step == 2
    pic.write(0x21, 0x70)  # this is ICW2, not a mask
    pic.write(0x21, 0x01)
    assert pic.vector_base == 0x70 and pic.imr == 0


def test_cascade_init_consumes_icw3():
    pic = PIC8259(0xA0)
    pic.write(0xA0, 0x11)  # not single: ICW3 expected
    pic.write(0xA1, 0x70)
    pic.write(0xA1, 0x02)
    pic.write(0xA1, 0x01)
    pic.write(0xA1, 0xFB)
    assert (pic.icw3, pic.imr, pic.vector_base) == (2, 0xFB, 0x70)
    assert pic.PORTS == [(0xA0, 0xA1)]


def test_icw1_without_icw4_finishes_after_icw2():
    pic = PIC8259()
    pic.write(0x20, 0x12)
    pic.write(0x21, 0x20)
    pic.write(0x21, 0xAA)
    assert pic.imr == 0xAA and not pic.x86_mode


def test_edge_triggered_request_raises_int_and_inta_returns_vector():
    pic, cpu = xt_pic()
    pic.set_irq(0, True)
    assert cpu.intr
    assert pic.acknowledge() == 0x08
    assert not cpu.intr
    assert pic.isr == 0x01 and pic.irr == 0
    # Holding the line high does not request again (edge triggered).
    pic.write(0x20, 0x20)
    assert not cpu.intr
    pic.set_irq(0, False)
    pic.set_irq(0, True)
    assert cpu.intr


def test_edge_request_survives_line_dropping_before_inta():
    pic, cpu = xt_pic()
    pic.set_irq(1, True)
    pic.set_irq(1, False)
    assert cpu.intr and pic.acknowledge() == 0x09


def test_mask_blocks_and_unmask_delivers():
    pic, cpu = xt_pic()
    pic.write(0x21, 0x01)
    pic.set_irq(0, True)
    assert not cpu.intr
    assert pic.read(0x20) == 0x01  # IRR is visible even though masked
    pic.write(0x21, 0x00)
    assert cpu.intr


def test_fixed_priority_and_nesting():
    pic, cpu = xt_pic()
    pic.set_irq(4, True)
    pic.set_irq(1, True)
    assert pic.acknowledge() == 0x09  # IR1 beats IR4
    assert not cpu.intr  # IR4 is lower than IR1 in service
    pic.set_irq(0, True)
    assert cpu.intr  # IR0 may nest over IR1
    assert pic.acknowledge() == 0x08
    assert pic.isr == 0x03
    pic.write(0x20, 0x20)  # non-specific EOI clears the highest in service (IR0)
    assert pic.isr == 0x02 and not cpu.intr
    pic.write(0x20, 0x20)
    assert pic.isr == 0 and cpu.intr
    assert pic.acknowledge() == 0x0C


def test_specific_eoi_clears_named_level_only():
    pic, _ = xt_pic()
    pic.set_irq(3, True)
    pic.acknowledge()
    pic.set_irq(0, True)
    pic.acknowledge()  # IR0 nests over IR3
    assert pic.isr == 0x09
    pic.write(0x20, 0x63)  # specific EOI for IR3
    assert pic.isr == 0x01


def test_ocw3_selects_irr_or_isr_for_reads():
    pic, _ = xt_pic()
    pic.write(0x21, 0xFF)
    pic.set_irq(5, True)
    pic.write(0x20, 0x0A)  # read IRR
    assert pic.read(0x20) == 0x20
    pic.write(0x21, 0x00)
    pic.acknowledge()
    pic.write(0x20, 0x0B)  # read ISR
    assert pic.read(0x20) == 0x20
    pic.write(0x20, 0x08)  # RR=0: selection unchanged
    assert pic.read(0x20) == 0x20
    pic.write(0x20, 0x0A)
    assert pic.read(0x20) == 0x00


def test_spurious_irq7_when_request_vanishes():
    pic, cpu = xt_pic()
    pic.set_irq(3, True)
    assert cpu.intr
    pic.write(0x21, 0x08)  # masked after INT rose but "before INTA"
    assert pic.acknowledge() == 0x0F
    assert pic.isr == 0  # a spurious IRQ7 sets no ISR bit


def test_auto_eoi_leaves_nothing_in_service():
    pic, cpu = xt_pic(aeoi=True)
    pic.set_irq(2, True)
    assert pic.acknowledge() == 0x0A
    assert pic.isr == 0
    pic.set_irq(1, True)
    assert cpu.intr


def test_rotate_on_nonspecific_eoi_makes_served_level_lowest():
    pic, _ = xt_pic()
    pic.set_irq(0, True)
    pic.acknowledge()
    pic.write(0x20, 0xA0)  # rotate on non-specific EOI
    assert pic.highest == 1
    pic.set_irq(0, False)
    pic.set_irq(0, True)
    pic.set_irq(5, True)
    assert pic.acknowledge() == 0x0D  # IR5 now outranks IR0


def test_set_priority_command():
    pic, _ = xt_pic()
    pic.write(0x20, 0xC4)  # IR4 lowest, so IR5 highest
    pic.set_irq(3, True)
    pic.set_irq(6, True)
    assert pic.acknowledge() == 0x0E


def test_rotate_in_auto_eoi_mode():
    pic, _ = xt_pic(aeoi=True)
    pic.write(0x20, 0x80)
    pic.set_irq(2, True)
    pic.acknowledge()
    assert pic.highest == 3
    pic.write(0x20, 0x00)
    assert not pic.rotate_on_aeoi


def test_special_mask_mode_lets_lower_levels_through():
    pic, cpu = xt_pic()
    pic.set_irq(1, True)
    pic.acknowledge()
    pic.set_irq(4, True)
    assert not cpu.intr
    pic.write(0x21, 0x02)  # mask the level in service
    pic.write(0x20, 0x68)  # OCW3: set special mask mode
    assert cpu.intr and pic.acknowledge() == 0x0C
    pic.write(0x20, 0x48)  # reset special mask mode
    assert not pic.special_mask


def test_poll_command_acts_as_acknowledge():
    pic, cpu = xt_pic()
    pic.write(0x20, 0x0C)
    assert pic.read(0x20) == 0x00  # nothing pending
    pic.set_irq(6, True)
    pic.write(0x20, 0x0C)
    assert pic.read(0x20) == 0x86
    assert pic.isr == 0x40 and not cpu.intr


def test_level_triggered_mode_follows_the_line():
    pic = PIC8259()
    cpu = Cpu()
    pic.intr = cpu.set_intr
    pic.write(0x20, 0x1B)
    pic.write(0x21, 0x08)
    pic.write(0x21, 0x01)
    pic.write(0x21, 0x00)
    pic.set_irq(3, True)
    assert pic.acknowledge() == 0x0B
    pic.write(0x20, 0x20)
    assert cpu.intr  # still high: requests again
    pic.set_irq(3, False)
    assert not cpu.intr


def test_wire_helper_drives_input():
    pic, cpu = xt_pic()
    irq5 = pic.wire(5)
    irq5(True)
    assert pic.acknowledge() == 0x0D


def test_int_output_only_signals_changes():
    pic, cpu = xt_pic()
    pic.set_irq(0, True)
    pic.set_irq(1, True)
    assert cpu.levels == [True]


def test_reset_masks_everything():
    pic, _ = xt_pic()
    pic.reset()
    assert pic.imr == 0xFF


@pytest.mark.parametrize("aeoi", [False, True])
def test_state_round_trip(aeoi):
    pic, _ = xt_pic(aeoi)
    pic.write(0x21, 0x3C)
    pic.set_irq(0, True)
    pic.set_irq(6, True)
    pic.acknowledge()
    pic.write(0x20, 0x0B)
    state = json.loads(json.dumps(pic.get_state()))
    other = PIC8259()
    cpu = Cpu()
    other.intr = cpu.set_intr
    other.set_state(state)
    assert other.get_state() == pic.get_state()
    assert other.read(0x20) == pic.read(0x20)
    assert other.acknowledge() == pic.acknowledge()
