#pragma once
// Placeholder for the TCP entry point the listener-path issue defines (lcore_tcp, tcp_input_burst).
namespace rampart::tcp {
class lcore_tcp;
}
