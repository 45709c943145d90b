//! cberner/raptorq behind a C ABI, for bench_fec_raptorq
//! (bench/fec/raptorq_rs_bench.cpp). One source block, no sub-blocks.
use raptorq::{
    EncodingPacket, ObjectTransmissionInformation, PayloadId, SourceBlockDecoder,
    SourceBlockEncoder, SourceBlockEncodingPlan,
};
use std::hint::black_box;
use std::slice;

fn config(k: u16, t: u16) -> ObjectTransmissionInformation {
    ObjectTransmissionInformation::new(u64::from(k) * u64::from(t), t, 1, 1, 1)
}

/// The encoding plan for blocks of `k` source symbols: what
/// `SourceBlockEncoder::new` computes on a miss of its process-wide cache.
#[unsafe(no_mangle)]
pub extern "C" fn wzp_rqrs_plan_new(k: u16) -> *mut SourceBlockEncodingPlan {
    Box::into_raw(Box::new(SourceBlockEncodingPlan::generate(k)))
}

/// # Safety
/// `plan` comes from `wzp_rqrs_plan_new` and is freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wzp_rqrs_plan_free(plan: *mut SourceBlockEncodingPlan) {
    drop(unsafe { Box::from_raw(plan) });
}

/// Encodes the `k` × `t` bytes at `source` with `plan` and makes `repairs`
/// repair symbols (ESI K onwards); the last is copied to `last` (`t` bytes).
///
/// # Safety
/// The pointers hold the sizes above; `plan` is for `k` symbols.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wzp_rqrs_encode(
    plan: *const SourceBlockEncodingPlan,
    source: *const u8,
    k: u16,
    t: u16,
    repairs: u32,
    last: *mut u8,
) {
    let data = unsafe { slice::from_raw_parts(source, usize::from(k) * usize::from(t)) };
    let encoder = SourceBlockEncoder::with_encoding_plan(0, &config(k, t), data, unsafe { &*plan });
    let packets = encoder.repair_packets(0, repairs);
    let symbol = packets.last().expect("at least one repair symbol").data();
    unsafe { slice::from_raw_parts_mut(last, usize::from(t)) }.copy_from_slice(symbol);
}

/// Decodes a block of `k` symbols of `t` bytes from the `n` received symbols
/// at `symbols` (back to back, ESIs in `esis`), each copied into a packet as
/// the API takes them. The source comes back as a new buffer; it is copied to
/// `out` (`k` × `t` bytes) only when `out` is not null. Returns whether the
/// block decoded.
///
/// # Safety
/// The pointers hold the sizes above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wzp_rqrs_decode(
    k: u16,
    t: u16,
    esis: *const u32,
    symbols: *const u8,
    n: u32,
    out: *mut u8,
) -> bool {
    let esis = unsafe { slice::from_raw_parts(esis, n as usize) };
    let symbols = unsafe { slice::from_raw_parts(symbols, n as usize * usize::from(t)) };
    let packets = esis
        .iter()
        .zip(symbols.chunks_exact(usize::from(t)))
        .map(|(&esi, data)| EncodingPacket::new(PayloadId::new(0, esi), data.to_vec()));
    let length = u64::from(k) * u64::from(t);
    let Some(source) = SourceBlockDecoder::new(0, &config(k, t), length).decode(packets) else {
        return false;
    };
    if !out.is_null() {
        unsafe { slice::from_raw_parts_mut(out, source.len()) }.copy_from_slice(&source);
    }
    black_box(source);
    true
}
